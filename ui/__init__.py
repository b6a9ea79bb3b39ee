"""The Streamlit page: sidebar controls from the registries, the main view, bounded caches."""
