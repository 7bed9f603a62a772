"""Figures (seaborn), formatted tables, HTML pages and the workbook. Imports the layers
below.
"""
