"""A report run (papermill notebooks into a hidden folder, renamed when complete) and batch
runs over a client file with their index page.
"""
