"""figures: find, store and chart competing figure claims in news text."""

__version__ = "0.1.0"
