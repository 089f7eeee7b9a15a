"""Readers and writers for published ballot file formats (BLT for ranked elections, pabulib for budgets)."""
