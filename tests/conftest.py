"""Run the docs-site browser test last: it renders the executed notebooks the notebook tests saved."""

def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.fspath.basename == "test_docs_site.py")
