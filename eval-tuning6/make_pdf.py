#!/usr/bin/env python3
"""Generate corpus/landsbyer-paa-vej-2024.pdf for the eval-tuning6 tuning set.

All text is invented. The report imitates the shape of a small network's annual report:
a title page, a table of contents, a running header and footer with page numbers, an
introduction with no municipality, one numbered section per project with a contact line,
a closing section and a colophon.

    python3 -m venv /tmp/pdfenv6 && /tmp/pdfenv6/bin/pip install fpdf2
    /tmp/pdfenv6/bin/python eval-tuning6/make_pdf.py

check.py imports this module (without fpdf) and reads the text through full_text().
Only Latin-1 characters are used, so the PDF core font Helvetica can render everything.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "landsbyer-paa-vej-2024.pdf"
HEADER = "Levende Landsbyer · Landsbyer på vej 2024"
SOURCE = "Kilde: https://www.levendelandsbyer.dk/filer/landsbyer-paa-vej-2024.pdf"

TITLE_PAGE = [
    ("h0", "Landsbyer på vej"),
    ("h1", "Erfaringer fra 2024"),
    ("p", "Tre kommuner fortæller om grøn omstilling i landsbyerne"),
    ("p", "Udgivet af foreningen Levende Landsbyer, april 2025"),
]

CONTENTS = [
    ("1.", "Forord", 3),
    ("2.", "Energitjek af forsamlingshusene", 4),
    ("3.", "Landsbybussen kører, når nogen ringer", 5),
    ("4.", "Borgerne ejer solcellerne på hallen i Gørding", 6),
    ("5.", "Hvad tager vi med os?", 7),
]

# one list of blocks per page after the contents page
PAGES = [
    [
        ("h1", "1. Forord"),
        ("p", "Landsbyerne er ikke bare et sted, man bor billigt. De er også steder, hvor den grønne "
              "omstilling kan ske hurtigt, fordi folk kender hinanden og er vant til at løfte i flok. "
              "Men det kræver, at nogen tager det første skridt, og at kommunen er en god medspiller."),
        ("p", "Foreningen Levende Landsbyer har i 2024 fulgt tre projekter tæt. Vi har besøgt dem, "
              "talt med de frivillige og med de medarbejdere i kommunerne, som står bag. I denne "
              "rapport fortæller vi, hvad der virkede, og hvad der var svært. Hvert afsnit slutter "
              "med en person, man kan kontakte."),
    ],
    [
        ("h1", "2. Energitjek af forsamlingshusene"),
        ("h2", "Hedensted Kommune"),
        ("p", "Mange forsamlingshuse bliver stadig varmet op med oliefyr eller gammelt gasfyr, og "
              "regningen er blevet en tung post for bestyrelserne. Kommunen sendte en energikonsulent "
              "rundt til alle 22 forsamlingshuse i kommunen. Hvert hus fik en rapport med de tre "
              "tiltag, der ville give mest for pengene."),
        ("p", "Kommunen satte en pulje på 1,5 mio. kr. af, som husene kunne søge. 15 huse har "
              "skiftet fyret ud med en varmepumpe, og varmeregningen er i gennemsnit faldet til det "
              "halve. Flere huse holder nu energicafé, hvor landsbyens beboere kan høre om deres "
              "egne huse."),
        ("p", "Verdensmål 7 og 13"),
        ("p", "Kontakt: energikonsulent Bo Rahbek Skov, bors@hedensted.dk, tlf. 79 75 51 88"),
    ],
    [
        ("h1", "3. Landsbybussen kører, når nogen ringer"),
        ("h2", "Vordingborg Kommune"),
        ("p", "I de mindste landsbyer kører der ingen rutebus. Kommunen har derfor stillet en "
              "elektrisk minibus til rådighed for ni landsbyer, som deler den. Frivillige chauffører "
              "kører turene, og man bestiller en tur dagen før, enten i en app eller ved at ringe "
              "til en fast telefon, som de frivillige skiftes til at passe."),
        ("p", "I 2024 blev der kørt 3.400 ture, mest med ældre borgere til læge, frisør og "
              "indkøb. Bussen koster kommunen omkring 0,8 mio. kr. om året til leasing, "
              "forsikring og strøm. 31 frivillige chauffører er tilknyttet."),
        ("p", "Verdensmål 11 Bæredygtige byer og lokalsamfund"),
        ("p", "Pia Strand Jessen, mobilitetskoordinator · pisj@vordingborg.dk · 55 36 22 15"),
    ],
    [
        ("h1", "4. Borgerne ejer solcellerne på hallen i Gørding"),
        ("h2", "Esbjerg Kommune"),
        ("p", "Idrætshallen i Gørding havde et stort, tomt tag mod syd. 160 borgere i byen har "
              "købt andele til 500 kr. stykket i et fælles solcelleanlæg på 210 kW. Hallen køber "
              "strømmen billigt, og det, hallen ikke bruger, bliver solgt til elnettet."),
        ("p", "Kommunen har lånt taget ud gratis og stillet en garanti for lånet i banken. "
              "Overskuddet går til ungdomsholdene i den lokale idrætsforening, og i det første år "
              "var det nok til at betale kontingentet for 40 børn."),
        ("p", "Verdensmål: 7, 11 og 13"),
        ("p", "Projektleder: Kasper Lund Holt, kalh@esbjerg.dk, 76 16 49 02"),
    ],
    [
        ("h1", "5. Hvad tager vi med os?"),
        ("p", "Fælles for de tre projekter er, at kommunen har stillet noget til rådighed, som "
              "landsbyerne ikke selv kunne skaffe: en rådgiver, en bus eller et tag. Resten har de "
              "frivillige klaret. I 2025 vil foreningen samle flere eksempler og lave et kursus for "
              "bestyrelser i forsamlingshuse."),
        ("h2", "Kolofon"),
        ("p", "Udgivet af foreningen Levende Landsbyer. Redaktion: foreningens sekretariat, "
              "post@levendelandsbyer.dk. Fotos: kommunerne og foreningen. Kun elektronisk udgave."),
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
    pdf.set_title("Landsbyer på vej - Erfaringer fra 2024")
    pdf.set_author("Foreningen Levende Landsbyer")
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
