"""JSON: the document format itself; importing it gives the identical graph."""
import json


def render(fig) -> str:
    return json.dumps(fig.document, indent=2, ensure_ascii=False) + "\n"
