"""Below every layer: errors the user sees, atomic file writes and the code hash, and
where the kit's files are.
"""
