"""Anonymization: detect spans, resolve them to entities, replace them with keyed surrogates, audit."""
