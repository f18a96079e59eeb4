#!/usr/bin/env python3
"""Generate corpus/middelfart-baeredygtighedsrapport-2024.pdf for the eval-tuning7 tuning set.

All text is invented. The report imitates the shape of a municipality's short annual
sustainability report: a cover page, a table of contents, a running header and a page
footer, a foreword with no project, two project chapters (each with a facts box, goals
and a contact), a chapter with key figures, and a colophon with the municipality's
general mailbox.

    python3 -m venv /tmp/pdfenv7 && /tmp/pdfenv7/bin/pip install fpdf2
    /tmp/pdfenv7/bin/python eval-tuning7/make_pdf.py

check.py imports this module (without fpdf) and reads the text through full_text().
Only Latin-1 characters are used, so the PDF core font Helvetica can render everything.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "middelfart-baeredygtighedsrapport-2024.pdf"
HEADER = "Middelfart Kommune - Bæredygtighedsrapport 2024"
SOURCE = "Kilde: https://www.middelfart.dk/media/baeredygtighedsrapport-2024.pdf"

COVER = [
    ("h0", "Bæredygtighedsrapport 2024"),
    ("h1", "Middelfart Kommune"),
    ("p", "Sådan arbejder vi med verdensmålene i hverdagen"),
    ("p", "Teknik og Miljø samt Beskæftigelse, maj 2025"),
]

CONTENTS = [
    ("1", "Forord", 3),
    ("2", "Sommerjob i parkerne for unge, der har brug for et skub", 4),
    ("3", "Affaldsambassadører i de almene boliger", 5),
    ("4", "Nøgletal", 6),
]

PAGES = [
    [
        ("h1", "1  Forord"),
        ("p", "Verdensmålene er ikke noget, vi arbejder med ved siden af den almindelige drift. De er en "
              "måde at se på de opgaver, vi allerede løser - og at løse dem lidt bedre. I denne rapport "
              "har vi valgt at fortælle om to indsatser fra 2024, som har betydet noget for borgerne."),
        ("p", "Den ene handler om unge og job, den anden om affald og naboskab. Begge er lavet i "
              "samarbejde med nogen uden for rådhuset, og begge har en kontaktperson, man er velkommen "
              "til at ringe eller skrive til. Vores internationale samarbejde er beskrevet andetsteds."),
    ],
    [
        ("h1", "2  Sommerjob i parkerne for unge, der har brug for et skub"),
        ("p", "Hvert år står en gruppe unge mellem 15 og 17 år uden fritidsjob, ofte fordi de ikke har "
              "et netværk, der kan hjælpe dem i gang. I sommeren 2024 ansatte kommunens park- og vejafdeling "
              "derfor 28 unge i seks uger. De slog græs, passede blomsterbede, samlede affald ved stranden "
              "og byggede insekthoteller til byens grønne områder."),
        ("p", "De unge arbejdede i hold på fire med en fast voksen fra driften som mester. Jobcentrets "
              "ungekonsulenter fandt de unge gennem skolerne og klubberne. Efter sommeren har 17 af dem "
              "fået et almindeligt fritidsjob, og næsten alle fik en udtalelse, de kan bruge, når de søger "
              "job næste gang."),
        ("h2", "Fakta"),
        ("p", "Varighed: seks uger, 25 timer om ugen. Løn efter overenskomst for unge. Pris: ca. 620.000 kr. "
              "inklusive mestre og arbejdstøj."),
        ("p", "Verdensmål: 8 Anstændige jobs og økonomisk vækst, 15 Livet på land"),
        ("p", "Kontakt: ungekonsulent Kristian Bonde Lykke, Jobcenter Middelfart, krbl@middelfart.dk, "
              "tlf. 88 88 47 19"),
    ],
    [
        ("h1", "3  Affaldsambassadører i de almene boliger"),
        ("p", "I de almene boligområder blev kun en lille del af affaldet sorteret rigtigt, og "
              "storskrald stod ofte i kældergangene i ugevis. Sammen med boligselskaberne har kommunen "
              "uddannet 31 beboere som affaldsambassadører. De viser naboerne, hvordan man sorterer, "
              "oversætter vejledningen til otte sprog og hjælper med at bestille afhentning af storskrald."),
        ("p", "Ambassadørerne får et gavekort til 500 kr. om kvartalet og mødes i et netværk hver anden "
              "måned. På et år er andelen af madaffald, der bliver sorteret fra, steget fra 22 til 49 "
              "procent i de deltagende afdelinger, og klagerne over rod i kældrene er næsten forsvundet."),
        ("h2", "Fakta"),
        ("p", "Deltagere: 7 boligafdelinger med 1.450 lejligheder. Samarbejdspartnere: to boligselskaber "
              "og affaldsselskabet."),
        ("p", "Verdensmål: 11 og 12"),
        ("p", "Kontakt: Pernille Ravn Hjort, affaldsplanlægger, perh@middelfart.dk"),
    ],
    [
        ("h1", "4  Nøgletal"),
        ("p", "CO2-udledning fra kommunens egne bygninger: 3.100 ton (2023: 3.450 ton). Andel elbiler i "
              "kommunens bilpark: 64 procent. Andel økologi i de kommunale køkkener: 58 procent."),
        ("h2", "Kolofon"),
        ("p", "Udgivet af Middelfart Kommune, Teknik og Miljø. Spørgsmål til rapporten kan sendes til "
              "kommunens hovedpostkasse middelfart@middelfart.dk. Rapporten findes kun i elektronisk udgave."),
    ],
]

TOTAL = 2 + len(PAGES)


def page_texts():
    """Plain text of each page, in order, including running header and footer."""
    out = []
    out.append("\n".join([SOURCE] + [t for _, t in COVER] + [f"Side 1 af {TOTAL}"]))
    toc = [HEADER, "Indhold"] + [f"{n} {t} {'.' * 10} {p}" for n, t, p in CONTENTS] + [f"Side 2 af {TOTAL}"]
    out.append("\n".join(toc))
    for i, blocks in enumerate(PAGES, start=3):
        out.append("\n".join([HEADER] + [t for _, t in blocks] + [f"Side {i} af {TOTAL}"]))
    return out


def full_text():
    return "\n\n".join(page_texts())


def main():
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            if self.page_no() > 1:
                self.set_font("Helvetica", "I", 8)
                self.cell(0, 6, HEADER, align="R")
                self.ln(10)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 8, f"Side {self.page_no()} af {TOTAL}", align="C")

    pdf = Report(format="A4")
    pdf.set_title("Bæredygtighedsrapport 2024 - Middelfart Kommune")
    pdf.set_author("Middelfart Kommune")
    pdf.set_auto_page_break(False)
    styles = {"h0": ("B", 28), "h1": ("B", 15), "h2": ("B", 12), "p": ("", 11)}

    def write(blocks):
        for kind, text in blocks:
            st, size = styles[kind]
            pdf.set_font("Helvetica", st, size)
            pdf.multi_cell(0, size * 0.55, text)
            pdf.ln(3 if kind == "p" else 2)

    pdf.add_page()
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, SOURCE)
    pdf.ln(60)
    write(COVER)

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 10, "Indhold")
    pdf.ln(14)
    pdf.set_font("Helvetica", "", 11)
    for n, t, p in CONTENTS:
        pdf.cell(160, 7, f"{n}  {t} " + "." * 10)
        pdf.cell(0, 7, str(p), align="R")
        pdf.ln(7)

    for blocks in PAGES:
        pdf.add_page()
        write(blocks)

    OUT.parent.mkdir(exist_ok=True)
    pdf.output(str(OUT))
    print(f"wrote {OUT} ({TOTAL} pages)")


if __name__ == "__main__":
    main()
