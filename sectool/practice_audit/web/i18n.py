"""User-interface strings of the clinic web app in Danish (the default) and English.

Question texts, help texts and recommendations come from the question bank; this
module holds only the app's own words. Every key exists in both languages (tested).
"""

from __future__ import annotations

from collections.abc import Mapping

from sectool.practice_audit.i18n import ANSWER_LABELS, SIZE_LABELS, STATUS_LABELS

__all__ = ["DEFAULT_LANG", "LANGS", "MESSAGES", "Translator", "pick_lang"]

DEFAULT_LANG = "da"
LANGS = ("da", "en")

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "app.title": {
        "da": "Sikkerhedstjek for almen praksis",
        "en": "Security self-assessment for general practice",
    },
    "lang.switch": {"da": "Sprog", "en": "Language"},
    "lang.da": {"da": "Dansk", "en": "Dansk"},
    "lang.en": {"da": "English", "en": "English"},
    "skip": {"da": "Gå til indhold", "en": "Skip to content"},
    "home.text": {
        "da": "Klinikker åbner sikkerhedstjekket via linket i deres invitation.",
        "en": "Clinics open the self-assessment through the link in their invitation.",
    },
    "home.admin": {"da": "Sikkerhedsansvarlige: log ind", "en": "Security officers: sign in"},
    # clinic form
    "form.intro": {
        "da": "Besvar spørgsmålene for jeres klinik. I kan gemme en kladde og vende tilbage senere "
        "via samme link. Spørgsmål markeret som krav skal være opfyldt for at standarden er mødt.",
        "en": "Answer the questions for your clinic. You can save a draft and come back later "
        "through the same link. Questions marked as required must be met for the standards to be met.",
    },
    "form.clinic": {"da": "Klinik", "en": "Clinic"},
    "form.provider": {"da": "Ydernummer", "en": "Provider number"},
    "form.size": {"da": "Klinikstørrelse", "en": "Clinic size"},
    "form.progress": {
        "da": "{answered} af {total} spørgsmål besvaret",
        "en": "{answered} of {total} questions answered",
    },
    "form.must_pass": {"da": "Krav", "en": "Required"},
    "form.weight": {"da": "Vægt", "en": "Weight"},
    "form.controls": {"da": "ISO 27001-kontroller", "en": "ISO 27001 controls"},
    "form.answer": {"da": "Svar", "en": "Answer"},
    "form.justification": {"da": "Begrundelse eller kommentar", "en": "Justification or comment"},
    "form.justification_help": {
        "da": "Skal udfyldes ved 'Ikke relevant' og 'Alternativt tiltag'.",
        "en": "Required for 'Not applicable' and 'Alternative measure'.",
    },
    "form.action": {"da": "Handling hvis ikke opfyldt", "en": "Action if not met"},
    "form.owner": {"da": "Ansvarlig", "en": "Owner"},
    "form.due": {"da": "Frist", "en": "Due date"},
    "form.max_chars": {"da": "højst {n} tegn", "en": "at most {n} characters"},
    "form.save": {"da": "Gem kladde", "en": "Save draft"},
    "form.submit": {"da": "Indsend besvarelse", "en": "Submit assessment"},
    "form.saved": {"da": "Kladden er gemt {when}.", "en": "Draft saved {when}."},
    "form.draft_from": {"da": "Kladde senest gemt {when}.", "en": "Draft last saved {when}."},
    "form.prefilled": {
        "da": "Svarene er udfyldt fra jeres seneste indsendelse ({when}). Ret dem, så de passer i dag.",
        "en": "The answers are filled in from your last submission ({when}). Update them to match today.",
    },
    "form.see_result": {"da": "Se jeres seneste resultat", "en": "See your latest result"},
    "form.errors_title": {
        "da": "Der er problemer med besvarelsen",
        "en": "There is a problem with the answers",
    },
    "form.errors_kept": {
        "da": "Intet er gået tabt: alt, hvad I har skrevet, står stadig i formularen.",
        "en": "Nothing is lost: everything you entered is still in the form.",
    },
    "form.not_saved": {"da": "Kladden er ikke gemt.", "en": "The draft was not saved."},
    "answer.none": {"da": "Ikke besvaret", "en": "Not answered"},
    # validation
    "err.too_long": {
        "da": "{field} er for lang: {length} tegn, højst {max} tilladt.",
        "en": "{field} is too long: {length} characters, at most {max} allowed.",
    },
    "err.bad_choice": {"da": "Ugyldigt svar.", "en": "Invalid answer."},
    "err.bad_date": {
        "da": "Fristen skal være en dato (ÅÅÅÅ-MM-DD).",
        "en": "The due date must be a date (YYYY-MM-DD).",
    },
    "err.missing": {"da": "Spørgsmålet er ikke besvaret.", "en": "The question is not answered."},
    "err.must_pass_missing": {
        "da": "Kravet er ikke besvaret. Alle krav skal besvares før indsendelse.",
        "en": "This required question is not answered. "
        "Every required question must be answered before submitting.",
    },
    "err.justification_required": {
        "da": "Skriv en begrundelse for '{answer}'.",
        "en": "Write a justification for '{answer}'.",
    },
    "err.na_on_must_pass": {
        "da": "'Ikke relevant' kan ikke vælges for et krav.",
        "en": "'Not applicable' cannot be chosen for a required question.",
    },
    "err.unknown_question": {"da": "Ukendt spørgsmål.", "en": "Unknown question."},
    # result
    "result.title": {"da": "Jeres resultat", "en": "Your result"},
    "result.submitted": {
        "da": "Indsendt {when} (version {version})",
        "en": "Submitted {when} (version {version})",
    },
    "result.status": {"da": "Status", "en": "Status"},
    "result.summary": {"da": "Overblik", "en": "Summary"},
    "result.maturity": {"da": "Modenhed", "en": "Maturity"},
    "result.maturity_value": {"da": "Niveau {level} af 5", "en": "Level {level} of 5"},
    "result.overall": {"da": "Samlet score", "en": "Overall score"},
    "result.domains": {"da": "Score pr. område", "en": "Score per domain"},
    "result.domain": {"da": "Område", "en": "Domain"},
    "result.score": {"da": "Score", "en": "Score"},
    "result.previous": {"da": "Sidst", "en": "Last time"},
    "result.change": {"da": "Ændring", "en": "Change"},
    "result.not_applicable": {"da": "ikke relevant", "en": "not applicable"},
    "result.bar_label": {"da": "{domain}: {score} procent", "en": "{domain}: {score} percent"},
    "result.plan": {"da": "Forbedringsplan", "en": "Improvement plan"},
    "result.plan_empty": {
        "da": "Ingen mangler: alle spørgsmål er opfyldt.",
        "en": "No gaps: every question is met.",
    },
    "result.plan_question": {"da": "Spørgsmål", "en": "Question"},
    "result.plan_action": {"da": "Anbefalet handling", "en": "Recommended action"},
    "result.plan_priority": {"da": "Prioritet", "en": "Priority"},
    "result.plan_unassigned": {"da": "ikke angivet", "en": "not set"},
    "result.comparison": {
        "da": "Sammenlignet med sidste indsendelse",
        "en": "Compared with the last submission",
    },
    "result.status_change": {"da": "Status før: {before}", "en": "Status before: {before}"},
    "result.first": {"da": "Dette er jeres første indsendelse.", "en": "This is your first submission."},
    "result.download": {"da": "Hent resultatet", "en": "Download the result"},
    "result.download_json": {"da": "JSON (data)", "en": "JSON (data)"},
    "result.download_md": {"da": "Markdown (tekst)", "en": "Markdown (text)"},
    "result.print": {"da": "Udskriv", "en": "Print"},
    "result.print_hint": {
        "da": "Brug browserens udskriftsfunktion for en udskriftsvenlig version.",
        "en": "Use your browser's print function for a print-friendly version.",
    },
    "result.edit": {"da": "Start en ny besvarelse", "en": "Start a new assessment"},
    "result.none": {
        "da": "I har ikke indsendt en besvarelse endnu.",
        "en": "You have not submitted an assessment yet.",
    },
    "result.history": {"da": "Tidligere indsendelser", "en": "Earlier submissions"},
    # errors
    "error.title": {"da": "Der opstod en fejl", "en": "Something went wrong"},
    "error.invalid_link": {"da": "Linket er ikke gyldigt", "en": "This link is not valid"},
    "error.invalid_link_text": {
        "da": "Linket kan ikke bruges. Kontrollér, at hele linket fra invitationen er kopieret, "
        "eller kontakt jeres sikkerhedsansvarlige for et nyt link.",
        "en": "This link cannot be used. Check that the whole link from the invitation was copied, "
        "or contact your security officer for a new link.",
    },
    "error.expired_link": {"da": "Linket er udløbet", "en": "This link has expired"},
    "error.expired_link_text": {
        "da": "Invitationen er ikke længere gyldig. Kontakt jeres sikkerhedsansvarlige for et nyt link.",
        "en": "The invitation is no longer valid. Contact your security officer for a new link.",
    },
    "error.csrf": {"da": "Formularen er udløbet", "en": "The form has expired"},
    "error.csrf_text": {
        "da": "Sikkerhedskontrollen af formularen fejlede. Gå tilbage, genindlæs siden og prøv igen.",
        "en": "The form's security check failed. Go back, reload the page and try again.",
    },
    "error.not_found": {"da": "Siden findes ikke", "en": "Page not found"},
    "error.not_found_text": {"da": "Siden findes ikke.", "en": "The page does not exist."},
    "error.generic_text": {"da": "Prøv igen senere.", "en": "Please try again later."},
    # admin
    "admin.title": {"da": "Klinikoversigt", "en": "Clinic overview"},
    "admin.login": {"da": "Log ind som sikkerhedsansvarlig", "en": "Sign in as security officer"},
    "admin.secret": {"da": "Administratornøgle", "en": "Admin secret"},
    "admin.sign_in": {"da": "Log ind", "en": "Sign in"},
    "admin.sign_out": {"da": "Log ud", "en": "Sign out"},
    "admin.bad_secret": {"da": "Forkert nøgle.", "en": "Wrong secret."},
    "admin.throttled": {
        "da": "For mange forkerte forsøg. Vent et kvarter og prøv igen.",
        "en": "Too many failed attempts. Wait a quarter of an hour and try again.",
    },
    "admin.clinics": {"da": "Klinikker", "en": "Clinics"},
    "admin.no_clinics": {
        "da": "Ingen klinikker er inviteret endnu.",
        "en": "No clinics have been invited yet.",
    },
    "admin.last_submission": {"da": "Seneste indsendelse", "en": "Last submission"},
    "admin.never": {"da": "aldrig", "en": "never"},
    "admin.invite_expires": {"da": "Link udløber", "en": "Link expires"},
    "admin.draft": {"da": "Kladde", "en": "Draft"},
    "admin.exports": {"da": "Eksport til forumrapporten", "en": "Exports for the forum report"},
    "admin.export_csv": {"da": "CSV", "en": "CSV"},
    "admin.export_json": {"da": "JSON", "en": "JSON"},
    "admin.invite": {"da": "Invitér en klinik", "en": "Invite a clinic"},
    "admin.invite_name": {"da": "Kliniknavn", "en": "Clinic name"},
    "admin.invite_days": {"da": "Linket gælder (dage)", "en": "Link valid for (days)"},
    "admin.invite_button": {"da": "Opret invitation", "en": "Create invitation"},
    "admin.invite_created": {"da": "Invitationen er oprettet", "en": "The invitation has been created"},
    "admin.invite_link_note": {
        "da": "Send linket sikkert til klinikken. Det vises kun denne ene gang; kun et hash gemmes.",
        "en": "Send the link securely to the clinic. It is shown only this once; only a hash is stored.",
    },
    "admin.invite_error": {
        "da": "Invitationen kunne ikke oprettes",
        "en": "The invitation could not be created",
    },
    "admin.invite_update": {
        "da": "Ret navn eller størrelse, hvis ydernummeret allerede tilhører en klinik",
        "en": "Change the name or size if the provider number already belongs to a clinic",
    },
    "admin.invite_change": {
        "da": "Ydernummeret {number} tilhører allerede {old_name} ({old_size}). Tjek ydernummeret, "
        "eller sæt kryds i 'Ret navn eller størrelse' for at ændre klinikken til {new_name} ({new_size}).",
        "en": "The provider number {number} already belongs to {old_name} ({old_size}). Check the provider "
        "number, or tick 'Change the name or size' to change the clinic to {new_name} ({new_size}).",
    },
    "admin.invite_older": {
        "da": "Ældre links til klinikken, der stadig gælder, til de udløber: {n}. "
        "Luk dem i oversigten, hvis de er sendt forkert.",
        "en": "Older links of this clinic that stay valid until they expire: {n}. "
        "End them in the overview if they were sent to the wrong place.",
    },
    "admin.invite_no_older": {
        "da": "Ingen ældre links til klinikken gælder.",
        "en": "No older link of this clinic is valid.",
    },
    "admin.revoke": {"da": "Luk linket", "en": "End the link"},
    "admin.revoke_label": {"da": "Luk linket for {name}", "en": "End the link for {name}"},
    "admin.back": {"da": "Tilbage til oversigten", "en": "Back to the overview"},
    "common.yes": {"da": "ja", "en": "yes"},
    "common.no": {"da": "nej", "en": "no"},
    "common.total": {"da": "I alt", "en": "Total"},
    # answers, statuses and sizes come from the shared vocabulary, so the web app names them
    # exactly as the CLI, the exports and the forum report do
    **{
        f"{prefix}.{key.value}": {"da": label.da, "en": label.en}
        for prefix, labels in (
            ("answer", ANSWER_LABELS),
            ("status", STATUS_LABELS),
            ("size", SIZE_LABELS),
        )
        for key, label in labels.items()
    },
}


def pick_lang(*candidates: str | None) -> str:
    """The first supported language among ``candidates``, else Danish."""
    for candidate in candidates:
        if candidate and candidate.lower() in LANGS:
            return candidate.lower()
    return DEFAULT_LANG


class Translator:
    """UI strings in one language: ``t("form.save")``, ``t("form.progress", answered=3, total=9)``."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        text = MESSAGES[key][self.lang]
        return text.format(**params) if params else text
