from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = (
            "display_name",
            "about",
            "website",
            "preferred_language",
            "show_as_supporter",
            "email_notifications",
        )
        widgets = {"about": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "display_name": _("Shown instead of your username on your profile and your flattrs."),
            "about": _("A few words about you or your work, shown on your public profile."),
            "website": _("Your blog, podcast or homepage, linked from your profile."),
            "preferred_language": _("Pages and emails come in this language once you log in."),
        }
