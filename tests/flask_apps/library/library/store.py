"""The books, kept in memory (one store per app)."""

from flask import current_app


class Store:
    def __init__(self):
        self.books = {}
        self.next_id = 1
        self.add("Dune", "Frank Herbert")
        self.add("Emma", "Jane Austen")
        self.add("Ulysses", "James Joyce")

    def add(self, title, author):
        book = {"id": self.next_id, "title": title, "author": author, "borrower": None}
        self.books[book["id"]] = book
        self.next_id += 1
        return book


def get_store():
    return current_app.extensions["library"]
