"""Static tier: make the modules beside these tests importable.

``addon_checks`` (the addon consistency checker), ``readme_gen`` (README.rst from the
readme fragments) and ``static_support`` (paths, running tools) live in this folder.
"""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
