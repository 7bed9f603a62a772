"""What a load learned on the way (unmatched spend, leads without a source, values
pseudonymised), collected as rows for the data audit.
"""

from __future__ import annotations

import pandas as pd


class Notes:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, severity: str, input_name: str, message: str) -> None:
        self.rows.append({"severity": severity, "input": input_name, "message": message})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["severity", "input", "message"])
