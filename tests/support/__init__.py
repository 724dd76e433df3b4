"""Test support: a real CodePair server in a subprocess, and small API helpers."""
