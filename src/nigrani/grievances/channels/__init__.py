"""The channels complaints arrive by, other than the web form: WhatsApp and Open311."""
