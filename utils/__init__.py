"""Code every script shares. Imports neither tasks/ nor the scripts (it is handed a TaskSpec)."""
