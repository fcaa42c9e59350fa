from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class FlyerForm(FlaskForm):
    place = StringField(_l("Where"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(
        _l("Phone number on the flyer"),
        filters=[lambda value: "".join((value or "").split()).replace("-", "")],
        validators=[Optional(), Regexp(r"^\d{5,20}$", message=_l("Digits only, 5 to 20 of them."))],
    )
