"""The shipped templates, installed as a data package so an installed wheel finds them."""
