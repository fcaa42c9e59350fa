"""The campaign's forms: a vehicle (registering and editing), an owner contact, an outcome, a survey round."""

import unicodedata
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError
from wtforms.validators import Optional as OptionalInput

from core.api import EditForm, ParseError, parse_float

from . import owners, plates
from .models import CONTACT_RESULTS, JOINT_RESULTS, OUTCOMES, VEHICLE_TYPES, SurveyRound


def _round_choices():
    rounds = SurveyRound.select().order_by(SurveyRound.started_on.desc(), SurveyRound.id.desc())
    return [SelectChoice(0, _("— none —"))] + [SelectChoice(r.id, f"{r.name} ({r.started_on})") for r in rounds]


class VehicleForm(FlaskForm):
    plate = StringField(
        _l("Plate number"), validators=[Length(max=40)], description=_l("For example 湘F12345 or 湘FD12345")
    )
    no_plate = BooleanField(_l("No plate"))
    vehicle_type = SelectField(
        _l("Type"), choices=[SelectChoice(code, label) for code, label in VEHICLE_TYPES.items()], default="car"
    )
    colour = StringField(_l("Colour"), validators=[Length(max=20)])
    brand = StringField(_l("Brand"), validators=[Length(max=40)])
    address = StringField(
        _l("Location"), validators=[DataRequired(_l("Say where the vehicle stands.")), Length(max=200)]
    )
    longitude = StringField(_l("Longitude (WGS84)"))
    latitude = StringField(_l("Latitude (WGS84)"))
    dusty = BooleanField(_l("Covered in dust"))
    flat_tyres = BooleanField(_l("Flat tyres"))
    days_unmoved = IntegerField(_l("Days unmoved"), validators=[OptionalInput(), NumberRange(min=0, max=36500)])
    advertising = BooleanField(_l("Advertising vehicle"))
    survey_round = SelectField(_l("Survey round"), coerce=int, default=0)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey_round.choices = _round_choices()
        self.normalised_plate, self.plate_kind = None, ""
        self.lon = self.lat = None

    def validate_plate(self, field):
        if self.no_plate.data:
            if plates.normalise(field.data):
                raise ValidationError(_("Either enter a plate or tick “No plate”, not both."))
            return
        try:
            self.normalised_plate, self.plate_kind = plates.validate(field.data)
        except plates.PlateError as error:
            raise ValidationError(str(error.message)) from None

    def _coordinate(self, field, low, high):
        text = unicodedata.normalize("NFKC", field.data or "").strip()
        if not text:
            return None
        try:
            value = parse_float(text, min=low, max=high)
        except ParseError:
            raise ValidationError(_("Give a number between %(low)s and %(high)s.", low=low, high=high)) from None
        return Decimal(f"{value:.6f}")

    def validate_longitude(self, field):
        self.lon = self._coordinate(field, -180, 180)

    def validate_latitude(self, field):
        self.lat = self._coordinate(field, -90, 90)
        if (self.lat is None) != (not unicodedata.normalize("NFKC", self.longitude.data or "").strip()):
            raise ValidationError(_("Give both the longitude and the latitude, or neither."))


class VehicleEditForm(VehicleForm, EditForm):
    pass


class ContactForm(FlaskForm):
    contacted_on = DateField(_l("Date"), validators=[DataRequired(_l("Give the date of the call."))])
    caller = StringField(_l("Who called"), validators=[DataRequired(_l("Say who called.")), Length(max=60)])
    result = SelectField(
        _l("Result"),
        choices=[SelectChoice("", _l("— choose —"))] + [SelectChoice(k, v) for k, v in CONTACT_RESULTS.items()],
        validators=[DataRequired(_l("Choose what the call came to."))],
    )
    promised_on = DateField(
        _l("Promised to move it by"),
        validators=[OptionalInput()],
        description=_l("When the owner agreed: no tow order before the day after this date."),
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)], id="contact-note")

    def validate_promised_on(self, field):
        if self.result.data == "agreed" and not field.data:
            raise ValidationError(_("Give the date the owner agreed to move the vehicle by."))
        if field.data and self.contacted_on.data and field.data < self.contacted_on.data:
            raise ValidationError(_("The promised date cannot be before the call."))


class OwnerForm(FlaskForm):
    owner_name = StringField(_l("Owner's name"), validators=[Length(max=60)])
    owner_phone = StringField(_l("Owner's phone"), validators=[Length(max=30)])
    owner_id_number = StringField(
        _l("Owner's ID number"), validators=[Length(max=30)], description=_l("18 characters, checked by its last one")
    )

    def validate_owner_phone(self, field):
        try:
            self.phone = owners.validate_phone(field.data)
        except owners.OwnerError as error:
            raise ValidationError(str(error.message)) from None

    def validate_owner_id_number(self, field):
        try:
            self.id_number = owners.validate_id_number(field.data)
        except owners.OwnerError as error:
            raise ValidationError(str(error.message)) from None


class EarlyTowForm(FlaskForm):
    reason = TextAreaField(
        _l("Why tow it early"),
        validators=[DataRequired(_l("Say why the vehicle should be towed early.")), Length(max=2000)],
    )


class DecisionForm(FlaskForm):
    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice("approve", _l("Approve: tow it now")), SelectChoice("reject", _l("Reject"))],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)], id="decision-note")


class OutcomeForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=[SelectChoice(code, label) for code, label in OUTCOMES.items()])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class RoundForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the round.")), Length(max=100)])
    started_on = DateField(_l("Started on"), validators=[DataRequired(_l("Give the first day."))])
    ended_on = DateField(_l("Ended on"), validators=[OptionalInput()])
    area_note = StringField(_l("Area covered"), validators=[Length(max=200)])

    def validate_ended_on(self, field):
        if field.data and self.started_on.data and field.data < self.started_on.data:
            raise ValidationError(_("The round cannot end before it starts."))


class JointActionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the action.")), Length(max=100)])
    action_on = DateField(_l("Date"), validators=[DataRequired(_l("Give the day of the action."))])
    team = StringField(
        _l("Team"),
        validators=[DataRequired(_l("Say who goes.")), Length(max=200)],
        description=_l("For example: 执法二中队、交警大队、市场监管所"),
    )
    departments = SelectMultipleField(_l("Departments"), coerce=int, validate_choice=False)
    vehicles = SelectMultipleField(_l("Advertising vehicles"), coerce=int, validate_choice=False)
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Length(max=4000)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def validate_vehicles(self, field):
        if not field.data:
            raise ValidationError(_("Choose at least one advertising vehicle that is still there."))


class JointResultForm(FlaskForm):
    result = SelectField(
        _l("Result"),
        choices=[SelectChoice("", _l("— choose —"))] + [SelectChoice(k, v) for k, v in JOINT_RESULTS.items()],
        validators=[DataRequired(_l("Choose the result for this vehicle."))],
    )
