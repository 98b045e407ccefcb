"""Model catalog, downloads and local files. No Qt here."""
