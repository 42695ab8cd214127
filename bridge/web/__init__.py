"""The HTTP side: the app factory, the JSON API and the NOC console."""
