"""An export's pages: which to ask for and what each answer means (``scheduler.py``), and what is committed
with them (``state.py``). The paginators and the page plan they follow are the providers' (pure)."""
