"""appealbot: urgent appeals for solidarity networks."""

__version__ = "0.1.0"
