// Fill fields of a fillable bordereau with pdf.js (Firefox's PDF viewer) and save it, as a
// person typing in Firefox would: pdf.js writes the values and its own appearance streams.
//
//   node pdfjs_fill.mjs IN.pdf OUT.pdf values.json
//
// values.json: {"field name": "text" | true | false | "c<i>" (a radio group's box)}.
// Needs pdfjs-dist (npm install pdfjs-dist@4 in this folder); see README.md here.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";

const [input, output, valuesFile] = process.argv.slice(2);
const values = JSON.parse(fs.readFileSync(valuesFile, "utf8"));
const fonts = path.join(path.dirname(createRequire(import.meta.url).resolve(
  "pdfjs-dist/package.json")), "standard_fonts") + path.sep;
const doc = await getDocument({ data: new Uint8Array(fs.readFileSync(input)),
                                standardFontDataUrl: fonts }).promise;
const left = new Set(Object.keys(values));
for (let n = 1; n <= doc.numPages; n++) {
  const page = await doc.getPage(n);
  for (const annot of await page.getAnnotations()) {
    const name = annot.fieldName;
    if (!(name in values)) continue;
    const value = values[name];
    if (annot.radioButton) {
      doc.annotationStorage.setValue(annot.id, { value: annot.buttonValue === value });
    } else if (annot.checkBox) {
      doc.annotationStorage.setValue(annot.id, { value: value === true });
    } else {
      doc.annotationStorage.setValue(annot.id, { value: String(value) });
    }
    left.delete(name);
  }
}
fs.writeFileSync(output, await doc.saveDocument());
console.log(JSON.stringify({ output, filled: Object.keys(values).length - left.size,
                             unknown: [...left] }));
