"""Providers, interventions, price periods and enrolments: plain dataclasses and pure rules."""
