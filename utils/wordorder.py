"""Synthetic word order: the clauses of dependency-parsed English training sentences reordered to another
dominant order of subject, verb and object (SOV, VSO, ...; WALS 81A through utils/typology.py for 'auto').

A sentence is a tagging row with "heads" (CoNLL-U's HEAD: 1-based, 0 = the root) and "deprels" (DEPREL). A
clause is a word with a subject (deprel nsubj or nsubj:*) and an object (obj or iobj) among its dependents. In
each clause, deepest clauses first:

  S  the subject's subtree;
  O  the object's subtree (obj and iobj together, when both are there and adjacent: "gave [Mary a book]");
  V  the verb with its auxiliaries (aux, aux:*) and what lies between them ("has not eaten").

The three units keep the three stretches of the sentence they occupy, and the requested order fills those
stretches from left to right; everything else (adverbs, obliques, punctuation, the rest of the sentence) stays
where it is: "Yesterday John has eaten the apples ." -> SOV "Yesterday John the apples has eaten ." -> VSO
"Yesterday has eaten John the apples .". A clause is left as it is when its subtree is not projective (some
word's subtree in it is not contiguous), when its units overlap (an auxiliary before the subject, as in
questions) or a unit is not contiguous. Tags and deprels move with their tokens, heads are renumbered to the new
positions (the tree is the same, still projective). Nothing is random: the same data gives the same result.
"""
import hashlib
import logging

logger = logging.getLogger(__name__)
SUBJECTS, OBJECTS, AUXILIARIES = ("nsubj",), ("obj", "iobj"), ("aux",)


def _base(deprel: str) -> str:
    return deprel.split(":")[0]


def _subtrees(heads):
    """[the set of words in each word's subtree, itself included], [each word's dependents]; words 0-based."""
    subtree, children = [{word} for word in range(len(heads))], [[] for _ in heads]
    for word, head in enumerate(heads):
        if head:
            children[head - 1].append(word)
        ancestor, steps = head, 0
        while ancestor:
            subtree[ancestor - 1].add(word)
            ancestor, steps = heads[ancestor - 1], steps + 1
            if steps > len(heads):
                raise ValueError(f"the heads {heads} form a cycle; expected a tree (CoNLL-U HEAD, 0 = the root)")
    return subtree, children


def _span(words, position):
    """(first, last) positions of a set of words when they are contiguous in the current order, else None."""
    places = sorted(position[word] for word in words)
    return (places[0], places[-1]) if places[-1] - places[0] + 1 == len(places) else None


def _reorder_clause(order, verb, subtree, children, deprels, target):
    """The new order (a list of words) with the clause of `verb` in the target order, or None if it is skipped."""
    position = {word: i for i, word in enumerate(order)}
    if any(_span(subtree[word], position) is None for word in subtree[verb]):
        return None  # not projective
    kids = {rel: [c for c in children[verb] if _base(deprels[c]) in rel] for rel in (SUBJECTS, OBJECTS, AUXILIARIES)}
    if len(kids[SUBJECTS]) != 1:
        return None
    units = {"S": _span(subtree[kids[SUBJECTS][0]], position),
             "O": _span(set().union(*(subtree[c] for c in kids[OBJECTS])), position)}
    verbal = [position[w] for w in (verb, *kids[AUXILIARIES])]
    units["V"] = (min(verbal), max(verbal))
    if units["O"] is None or any(units[a][0] <= units[b][1] and units[b][0] <= units[a][1]
                                 for a, b in (("S", "O"), ("S", "V"), ("O", "V"))):
        return None
    slots = sorted(units.values())
    pieces, start = [], 0
    for slot, unit in zip(slots, target):
        first, last = units[unit]
        pieces += [order[start:slot[0]], order[first:last + 1]]
        start = slot[1] + 1
    return [word for piece in pieces for word in piece] + order[start:]


def reorder(tokens, tags, heads, deprels, target: str):
    """(tokens, tags, heads, deprels) with every clause in the target order ('SOV', 'VSO', ...), and whether
    anything moved."""
    if not isinstance(target, str) or sorted(target) != ["O", "S", "V"]:
        raise ValueError(f"--word_order {target}: expected an order of S, V and O such as SOV or VSO")
    subtree, children = _subtrees(heads)
    order = list(range(len(tokens)))
    clauses = [w for w in range(len(tokens)) if any(_base(deprels[c]) in SUBJECTS for c in children[w])
               and any(_base(deprels[c]) in OBJECTS for c in children[w])]
    for verb in sorted(clauses, key=lambda w: (len(subtree[w]), w)):  # a clause inside another one first
        order = _reorder_clause(order, verb, subtree, children, deprels, target) or order
    new_position = {word: i for i, word in enumerate(order)}
    return ([tokens[w] for w in order], [tags[w] for w in order],
            [new_position[heads[w] - 1] + 1 if heads[w] else 0 for w in order], [deprels[w] for w in order],
            order != sorted(order))


def reorder_dataset(dataset, target: str, log_examples: int = 3):
    """dataset.map of reorder over every row that has heads (rows without keep their order); logs how many
    sentences changed, and the first few."""
    def reorder_batch(batch):
        out = {name: list(batch[name]) for name in ("tokens", "tags", "heads", "deprels")}
        for i, (tokens, tags, heads, deprels) in enumerate(zip(*out.values())):
            if heads is not None and deprels is not None:
                moved = reorder(tokens, tags, heads, deprels, target)[:4]
                for name, value in zip(out, moved):
                    out[name][i] = value
        return out

    key = f"{dataset._fingerprint}|wordorder|{target}"
    reordered = dataset.map(reorder_batch, batched=True, desc=f"Word order {target}",
                            new_fingerprint=hashlib.sha256(key.encode()).hexdigest()[:16])
    changed = [i for i, (a, b) in enumerate(zip(dataset["tokens"], reordered["tokens"])) if a != b]
    logger.info("--word_order %s: %d of %d training sentences reordered (the others have no clause with an overt "
                "subject and object that could be moved, or no parse)", target, len(changed), len(dataset))
    for i in changed[:log_examples]:
        logger.info("reordered %s: %s -> %s", dataset[i].get("id"), " ".join(dataset[i]["tokens"]),
                    " ".join(reordered[i]["tokens"]))
    return reordered
