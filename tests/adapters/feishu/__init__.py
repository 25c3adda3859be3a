"""Feishu."""
