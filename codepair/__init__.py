"""CodePair: self-hosted live technical interviews."""

__version__ = "0.1.0"
