#!/usr/bin/env python3
"""Generate corpus/ringkobing-skjern-groent-regnskab-2024.pdf for the eval-tuning8 tuning set.

All text is invented. The file imitates a municipality's annual "grønt regnskab" (green
accounts): a cover page, a table of contents, a running header and a page footer, an
introduction with no project, a chapter of figures with no project, three numbered project
chapters (each with a facts line, goals and contact) and a colophon with the municipality's
general mailbox.

    python3 -m venv /tmp/pdfenv8 && /tmp/pdfenv8/bin/pip install fpdf2
    /tmp/pdfenv8/bin/python eval-tuning8/make_pdf.py

check.py imports this module (without fpdf) and reads the text through full_text().
Only Latin-1 characters are used, so the PDF core font Helvetica can render everything.
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "ringkobing-skjern-groent-regnskab-2024.pdf"
HEADER = "Ringkøbing-Skjern Kommune | Grønt regnskab 2024"
SOURCE = "Kilde: https://www.rksk.dk/media/groent-regnskab-2024.pdf"

COVER = [
    ("h0", "Grønt regnskab 2024"),
    ("h1", "Ringkøbing-Skjern Kommune"),
    ("p", "Kommunens egen drift - energi, materialer og indkøb"),
    ("p", "Udgivet af Teknik og Miljø, april 2025"),
]

CONTENTS = [
    ("1", "Indledning", 3),
    ("2", "Energi og udledning i tal", 3),
    ("3", "Solceller på 38 kommunale tage", 4),
    ("4", "Nyt børnehus bygget af en gammel skole", 5),
    ("5", "Brugte computere til skolerne", 6),
    ("6", "Kolofon", 6),
]

PAGES = [
    [
        ("h1", "1  Indledning"),
        ("p", "Det grønne regnskab gør status over kommunens egen drift: de bygninger, vi varmer op, de "
              "biler, vi kører i, og de ting, vi køber. Regnskabet dækker ikke borgernes og "
              "virksomhedernes udledning, som i stedet følges i klimaplanen."),
        ("p", "I år har vi valgt at fortælle lidt mere om tre projekter, som har flyttet tallene. "
              "Hvert kapitel slutter med en kontaktperson, som gerne svarer på spørgsmål."),
        ("h1", "2  Energi og udledning i tal"),
        ("p", "Varmeforbrug i kommunale bygninger: 41,2 GWh (2023: 43,9 GWh). Elforbrug: 13,3 GWh "
              "(2023: 14,0 GWh). Samlet udledning fra egen drift: 6.850 ton CO2e, et fald på 9 procent. "
              "Andel af kommunens personbiler, der kører på el: 71 procent."),
    ],
    [
        ("h1", "3  Solceller på 38 kommunale tage"),
        ("p", "I løbet af 2024 fik de sidste bygninger monteret solceller, så der nu er anlæg på i alt 38 "
              "kommunale tage: skoler, haller, plejecentre og rådhuset i Ringkøbing. Anlæggene har en "
              "samlet effekt på 4,1 megawatt og producerede 3,6 GWh i løbet af året. Det svarer til 27 "
              "procent af den strøm, bygningerne bruger."),
        ("p", "På svømmehallen i Skjern er der også sat et batteri på 500 kWh op. Det gemmer strømmen fra "
              "middagstimerne, så den kan bruges om aftenen til pumper og ventilation. Elever på tre "
              "skoler kan følge produktionen på en skærm i aulaen og bruger tallene i matematiktimerne."),
        ("h2", "Fakta"),
        ("p", "Investering: 31,5 mio. kr. fra kommunens energipulje. Forventet tilbagebetalingstid: 11 år. "
              "Leverandøren blev valgt ved udbud i 2022."),
        ("p", "Verdensmål: 7 Bæredygtig energi og 13 Klimaindsats"),
        ("p", "Kontakt: energiingeniør Mikkel Stausholm Dyrberg, Ejendomme, mids@rksk.dk, tlf. 99 74 15 26"),
    ],
    [
        ("h1", "4  Nyt børnehus bygget af en gammel skole"),
        ("p", "Da den nedlagte skole i Hover skulle rives, besluttede kommunen at genbruge så meget som "
              "muligt i det nye Børnehuset Engen i Tarm. Limtræsbjælkerne fra gymnastiksalen bærer nu "
              "taget over børnehusets fællesrum, 1.100 kvadratmeter bøgeparket er slebet og lagt igen, "
              "og vinduerne fra det gamle lærerværelse er blevet til et drivhus på legepladsen. "
              "Murstenene blev knust og brugt som bundlag under parkeringspladsen."),
        ("p", "Før nedrivningen kortlagde arkitekten alle materialer, og entreprenøren fik en bonus for "
              "hvert ton, der blev genbrugt. En livscyklusberegning viser, at byggeriet udledte 38 "
              "procent mindre CO2 end et tilsvarende nybyggeri. Til gengæld blev det 4 procent dyrere, "
              "mest på grund af de ekstra timer, det tager at pille bygningen forsigtigt ned."),
        ("h2", "Fakta"),
        ("p", "Børnehuset Engen: 1.450 m2, plads til 120 børn, indviet i august 2024."),
        ("p", "Verdensmål: 9 Industri, innovation og infrastruktur, 12 Ansvarligt forbrug og produktion"),
        ("p", "Kontakt: projektleder Gitte Lund Søgaard, Ejendomme, gils@rksk.dk. Spørgsmål om økonomien "
              "og om genbrug i kommende byggerier: bygningschef Anders Nørgaard Bech, anbe@rksk.dk"),
    ],
    [
        ("h1", "5  Brugte computere til skolerne"),
        ("p", "Hvert tredje år får eleverne i 4.-9. klasse nye computere. I udbuddet i 2024 krævede kommunen "
              "for første gang, at maskinerne skulle være professionelt istandsatte brugte computere fra "
              "virksomheder og banker, med nyt batteri og fem års garanti. I alt 2.400 computere blev "
              "leveret i sommerferien."),
        ("p", "I forhold til helt nye computere sparede kommunen 4,2 mio. kr. og omkring 360 ton CO2, som "
              "ellers ville være udledt, da maskinerne blev produceret. Skolerne har ikke oplevet flere "
              "fejl end med nye maskiner. De gamle computere går retur til leverandøren, som sætter dem i "
              "stand igen eller genanvender delene."),
        ("p", "Verdensmål: 12 Ansvarligt forbrug og produktion"),
        ("p", "Kontakt: indkøbskonsulent Henriette Bang Kjær, Indkøb og Udbud, hebk@rksk.dk, "
              "tlf. 99 74 11 83"),
        ("h1", "6  Kolofon"),
        ("p", "Grønt regnskab 2024 er udgivet af Ringkøbing-Skjern Kommune, Teknik og Miljø, Ved Fjorden 6, "
              "6950 Ringkøbing. Tallene er opgjort efter samme metode som sidste år. Spørgsmål til "
              "regnskabet kan sendes til kommunens fælles postkasse post@rksk.dk."),
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
                self.cell(0, 6, HEADER, align="L")
                self.ln(10)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 8, f"Side {self.page_no()} af {TOTAL}", align="R")

    pdf = Report(format="A4")
    pdf.set_title("Grønt regnskab 2024 - Ringkøbing-Skjern Kommune")
    pdf.set_author("Ringkøbing-Skjern Kommune")
    pdf.set_auto_page_break(False)
    styles = {"h0": ("B", 30), "h1": ("B", 15), "h2": ("B", 12), "p": ("", 11)}

    def write(blocks):
        for kind, text in blocks:
            st, size = styles[kind]
            pdf.set_font("Helvetica", st, size)
            pdf.multi_cell(0, size * 0.55, text)
            pdf.ln(3 if kind == "p" else 2)

    pdf.add_page()
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, SOURCE)
    pdf.ln(70)
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
