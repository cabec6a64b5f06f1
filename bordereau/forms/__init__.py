"""Form model, layout manifest, page codes and PDF generation."""
