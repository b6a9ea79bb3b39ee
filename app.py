"""optiviz — `streamlit run app.py`. The page lives in `ui/`: widgets -> pure calls -> figures."""

from ui.page import main

main()
