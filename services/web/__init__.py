"""The web application people use: GOV.UK pages over the four services' APIs (no database)."""
