"""The definitions partners read on the Profitability page, as README.md's "Profitability"
states them."""

DEFINITIONS = """
**Revenue**: sales invoices (ACCREC) in AUTHORISED or PAID status dated in the period, ex-tax
(for tax-inclusive lines, the line amount less its tax), less sales credit notes. A client's
revenue comes from the Xero contacts linked to it; revenue of contacts linked to no client is
shown as **Unmatched revenue**.

**Direct costs**: bill (ACCPAY) lines and expense-claim receipt lines on direct-cost accounts
(Xero account type *Direct Costs*), ex-tax, less purchase credit notes. A line belongs to a client
by its tracking option mapped to the client, else by its supplier mapped to the client, else it
is shown as **Unattributed costs**.

**Gross profit** = revenue - direct costs. **Margin** = gross profit / revenue (none when there
is no revenue). Drafts, submitted, voided and deleted documents never count. Foreign-currency
documents are converted with their own currency rate (base = amount / rate, per line, to the
cent, as Xero does). Organisations with different base currencies are never added together.

**Gross profit here is before people costs.** Xero keeps salaries in overheads, so an 85% margin
means the client's direct costs are low, not that the client is profitable once the team's time
is paid. Every figure can be traced: the drill-down lists the lines behind it and the rule that
put each one there.
"""
