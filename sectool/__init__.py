"""sectool: cyber-security toolkit for the Danish health sector."""

from sectool.errors import InputError, SectoolError, ServiceError

__version__ = "0.1.0"
__all__ = ["InputError", "SectoolError", "ServiceError", "__version__"]
