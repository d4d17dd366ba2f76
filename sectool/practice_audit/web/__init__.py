"""The clinic web app (server-rendered forms and a JSON API)."""
