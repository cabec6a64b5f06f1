"""Fill fields of a fillable bordereau with poppler-glib and save it, as Evince does
(Evince edits and saves forms through poppler-glib; Okular through poppler-qt, the same
poppler core).

    /usr/bin/python3 poppler_fill.py IN.pdf OUT.pdf values.json

Runs with the system Python and its PyGObject (Debian: ``apt-get install python3-gi
gir1.2-poppler-0.18``), not the project's virtual environment. values.json as for
``pdfjs_fill.mjs``: {"field name": "text" | true | false | "c<i>" (a radio group's box)}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import gi

gi.require_version("Poppler", "0.18")
from gi.repository import Poppler  # noqa: E402


def main() -> int:
    source, target, values_file = (Path(a) for a in sys.argv[1:4])
    values = json.loads(values_file.read_text(encoding="utf-8"))
    document = Poppler.Document.new_from_file(source.resolve().as_uri(), None)
    left = set(values)
    radios: dict[str, list[Poppler.FormField]] = {}
    for index in range(document.get_n_pages()):
        for mapping in document.get_page(index).get_form_field_mapping():
            field = mapping.field
            name = field.get_name()  # a radio kid has its group's name
            if name not in values:
                continue
            value = values[name]
            left.discard(name)
            kind = field.get_field_type()
            if kind == Poppler.FormFieldType.TEXT:
                field.text_set_text(str(value))
            elif field.button_get_button_type() == Poppler.FormButtonType.RADIO:
                radios.setdefault(name, []).append(field)
            else:
                field.button_set_state(value is True)
    for name, kids in radios.items():  # poppler-glib 22 has no export value: kids in order
        kids.sort(key=lambda kid: kid.get_id())
        chosen = int(str(values[name])[1:])
        kids[chosen].button_set_state(True)
    document.save(target.resolve().as_uri())
    print(json.dumps({"output": str(target), "unknown": sorted(left)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
