"""End-of-month invoicing: billing items, drafts, the push outbox. Owned by xeroflow_core/eom."""
