#!/usr/bin/env python3
"""Generate corpus/groenne-oeer-erfaringer-2024.pdf for the eval-tuning5 tuning set.

All text is invented. The report imitates the shape of a small network's annual report:
a title page, a table of contents, a running header and footer with page numbers, an
introduction with no municipality, one numbered section per island municipality with a
contact line, a closing section and a colophon.

    python3 -m venv /tmp/pdfenv && /tmp/pdfenv/bin/pip install fpdf2
    /tmp/pdfenv/bin/python eval-tuning5/make_pdf.py

check.py imports this module (without fpdf) and reads the text through full_text().
Only Latin-1 characters are used, so the PDF core font Helvetica can render everything.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "groenne-oeer-erfaringer-2024.pdf"
HEADER = "Grønne Øer · Erfaringer 2024"
SOURCE = "Kilde: https://www.groenneoeer.dk/media/erfaringer-2024.pdf"

TITLE_PAGE = [
    ("h0", "Grønne Øer"),
    ("h1", "Erfaringer 2024"),
    ("p", "Fire ø-kommuner fortæller om deres grønne projekter"),
    ("p", "Udgivet af netværket Grønne Øer, marts 2025"),
]

CONTENTS = [
    ("1.", "Indledning", 3),
    ("2.", "Elektriske delebiler i landsbyerne", 4),
    ("3.", "Regnvand skyller ud i sommerhusene", 5),
    ("4.", "Tag en pose med fra færgen", 6),
    ("5.", "Reparationscafé på genbrugspladsen i Marstal", 7),
    ("6.", "Næste skridt for netværket", 8),
]

# one list of blocks per page after the contents page
PAGES = [
    [
        ("h1", "1. Indledning"),
        ("p", "Netværket Grønne Øer samler de små ø-kommuner, som har mange af de samme udfordringer: "
              "lange afstande til fastlandet, få indbyggere om vinteren og mange turister om sommeren. "
              "Det betyder, at løsninger fra de store byer sjældent kan bruges direkte."),
        ("p", "I 2024 mødtes netværket fire gange, to gange fysisk og to gange online. Denne rapport "
              "samler erfaringerne fra fire projekter, som medlemmerne har valgt at dele. Hvert afsnit "
              "slutter med en kontaktperson, som gerne fortæller mere."),
        ("p", "Rapporten er skrevet af sekretariatet på baggrund af interview med projektlederne. "
              "Tallene er kommunernes egne."),
    ],
    [
        ("h1", "2. Elektriske delebiler i landsbyerne"),
        ("h2", "Samsø Kommune"),
        ("p", "Mange familier på øen har to biler, fordi bussen kun kører få gange om dagen uden for "
              "sommeren. Kommunen har sammen med ni landsbylaug sat 12 elektriske delebiler op i "
              "landsbyerne. Bilerne lades op under carporte med solceller på taget, og de bookes "
              "i en app eller ved at ringe til landsbylauget."),
        ("p", "Ved udgangen af 2024 havde ordningen 240 medlemmer. Otte husstande har solgt deres "
              "anden bil. Landsbylaugene står selv for rengøring og nøgler, mens kommunen betaler "
              "forsikring og leasing det første år."),
        ("p", "Verdensmål: 11 og 13"),
        ("p", "Projektleder: Maja Kristensen Bay, mkba@samsoe.dk, 87 92 21 06"),
        ("p", "Leder af Plan og Udvikling: Søren Fog, sofo@samsoe.dk"),
    ],
    [
        ("h1", "3. Regnvand skyller ud i sommerhusene"),
        ("h2", "Læsø Kommune"),
        ("p", "Øen har kun lidt grundvand, og om sommeren, når sommerhusene er fulde, bliver der "
              "pumpet mere op, end der dannes. Kommunen har derfor givet et tilskud på 4.000 kr. til "
              "sommerhusejere, der sætter en regnvandstank op og bruger vandet til at skylle ud i "
              "toilettet."),
        ("p", "160 sommerhuse har fået en tank, og vandværket regner med, at der blev sparet omkring "
              "5.500 kubikmeter drikkevand i 2024. Den lokale VVS-installatør har lavet en fast pakke, "
              "så ejerne ikke selv skal finde ud af, hvilken tank de skal vælge."),
        ("p", "Verdensmål 6 Rent vand og sanitet"),
        ("p", "Kontakt: miljømedarbejder Hanne Vinther, hvin@laesoe.dk, tlf. 98 49 80 31"),
    ],
    [
        ("h1", "4. Tag en pose med fra færgen"),
        ("h2", "Fanø Kommune"),
        ("p", "Vestkysten får meget affald ind fra havet, især reb, net og plastflasker. Alle, der "
              "kommer med færgen til Nordby i sommerhalvåret, får tilbudt en stofpose til strandaffald. "
              "Ved seks strandindgange står der containere, hvor poserne kan tømmes."),
        ("p", "I 2024 blev der samlet 3,8 ton affald på strandene på den måde. Turisterne sender "
              "billeder af deres fund til kommunens side, og de mest mærkelige fund bliver udstillet "
              "på biblioteket om vinteren."),
        ("p", "Verdensmål 12 og 14"),
        ("p", "Jesper Mols Andersen, natur- og friluftsvejleder · jman@fanoe.dk · 76 66 07 25"),
    ],
    [
        ("h1", "5. Reparationscafé på genbrugspladsen i Marstal"),
        ("h2", "Ærø Kommune"),
        ("p", "En gang om måneden åbner en reparationscafé i et skur på genbrugspladsen. Frivillige "
              "med forstand på elektronik, cykler og tøj hjælper borgerne med at reparere deres ting "
              "i stedet for at smide dem i containeren. Kaffen er gratis, og reservedele betaler man "
              "selv."),
        ("p", "Siden starten er 480 ting blevet repareret, og 72 procent af dem virkede igen, da de "
              "gik hjem. Brødristere, lamper og cykler er det mest almindelige."),
        ("p", "Verdensmål 12 Ansvarligt forbrug og produktion"),
        ("p", "Kontakt: affaldskonsulent Rikke Egholm, rieg@aeroekommune.dk, +45 63 52 50 84"),
    ],
    [
        ("h1", "6. Næste skridt for netværket"),
        ("p", "I 2025 vil netværket se på fælles indkøb af elbiler til hjemmeplejen og på, hvordan "
              "øerne kan dele erfaringer med affald fra turister. Nye medlemmer er velkomne."),
        ("h2", "Kolofon"),
        ("p", "Udgivet af netværket Grønne Øer. Redaktion: netværkets sekretariat, "
              "sekretariat@groenneoeer.dk. Fotos: kommunerne. Oplag: kun elektronisk."),
    ],
]

TOTAL = 2 + len(PAGES)


def page_texts():
    """Plain text of each page, in order, including running header and footer."""
    out = []
    out.append("\n".join([SOURCE] + [t for _, t in TITLE_PAGE] + [f"Side 1 af {TOTAL}"]))
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
    pdf.set_title("Grønne Øer - Erfaringer 2024")
    pdf.set_author("Netværket Grønne Øer")
    pdf.set_auto_page_break(False)
    styles = {"h0": ("B", 30), "h1": ("B", 16), "h2": ("B", 12), "p": ("", 11)}

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
    write(TITLE_PAGE)

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Indhold")
    pdf.ln(14)
    pdf.set_font("Helvetica", "", 11)
    for n, t, p in CONTENTS:
        pdf.cell(150, 7, f"{n} {t} " + "." * 10)
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
