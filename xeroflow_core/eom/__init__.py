"""End-of-month invoicing: billing rules, the draft engine, review, and the exactly-once push."""
