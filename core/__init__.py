"""What every layer may use: the error hierarchy and other small shared pieces."""
