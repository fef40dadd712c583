"""Printed records (domain §8): PDF rendering and helpers."""
