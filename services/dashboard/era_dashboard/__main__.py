"""``python -m era_dashboard``: the same as ``era dashboard``."""

import logging
import sys

from era_dashboard.service import run
from era_dashboard.settings import DashboardSettings

logging.basicConfig(level=logging.INFO)
sys.exit(run(DashboardSettings()))
