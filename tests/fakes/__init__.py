"""Stateful fakes of the desks' REST APIs, built on `responses`."""
