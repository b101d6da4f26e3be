"""The bundled example workspaces, copied by ``newsletter init --example NAME``."""
