"""Small reference models built from minidl's layers (chapter 6), like ``torchvision.models``.

* :mod:`minidl.zoo.gpt`: a GPT in the style of Karpathy's nanoGPT ``model.py``, written
  against PyTorch's API with ``import minidl as torch`` (the benchmark runs the same file
  on PyTorch).
* :mod:`minidl.zoo.bert`: a tiny BERT-style encoder for masked-language-model
  pre-training and fine-tuning.
* ``python -m minidl.zoo``: the seeded command that trains the chapter's shipped weights.
"""
