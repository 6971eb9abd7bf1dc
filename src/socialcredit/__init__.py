"""socialcredit: an open, auditable social credit system.

Published rulebooks turn reported events into entries with reasons; entries give a score
and a grade as of any moment. See docs/ and DESIGN for the safeguards enforced in code.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
