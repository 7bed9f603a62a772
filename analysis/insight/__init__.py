"""From numbers to what a reader needs: the data audit's facts, findings in plain words,
recommendations per campaign. Imports the layers below, never `render`.
"""
