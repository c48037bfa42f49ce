import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # for plantedplugins (importlib import mode)

pytest_plugins = ["r1_core.testing"]
