"""INV-1 to INV-5: VAT invoices for settled consumption and their reversals."""
