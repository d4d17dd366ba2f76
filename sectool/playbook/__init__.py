"""Playbooks: strict YAML model and the runner for scheduled scans."""
