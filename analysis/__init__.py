"""leadkit: lead-quality analytics. Which marketing channels bring customers, not just
cheap leads.

The flow: export files -> a mapping profile (`profiles`) -> canonical `leads` and
`spend` tables (`load`, `schema`) -> grouped counts and unit economics (`funnel`) ->
notebooks and reports (`report`).
"""

from importlib.metadata import PackageNotFoundError, version

from .errors import DataError, DataWarning
from .funnel import add_periods, lead_cells, unit_economics
from .load import Dataset, load_dataset
from .profiles import Profile, list_profiles, load_profile
from .schema import QUALIFICATIONS, validate_leads, validate_spend
from .stats import wilson_interval

try:
    __version__ = version("leadkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "DataError",
    "DataWarning",
    "Dataset",
    "Profile",
    "QUALIFICATIONS",
    "add_periods",
    "lead_cells",
    "list_profiles",
    "load_dataset",
    "load_profile",
    "unit_economics",
    "validate_leads",
    "validate_spend",
    "wilson_interval",
    "__version__",
]
