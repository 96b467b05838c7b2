// The FIM check's rule (extension/models/fimCheck.ts) over realistic answers: what instruct/chat
// models answer to a fill-in-the-middle prompt (chat prose, Markdown fences, role markers, the
// function restated), what base code models answer, and what random-weight test models answer
// (recorded from the real addon on the generated tandem-test-* models: gibberish must never warn).
import * as assert from 'node:assert/strict';
import type { ModelInfo } from '../../extension/engine/native';
import {
  FIM_CHECK_MAX_TOKENS,
  answerSigns,
  baseModelName,
  chatModelWarning,
  fimCheckPrompt,
  judgeFimAnswer,
  modelSigns,
} from '../../extension/models/fimCheck';
import { FIM_MODEL } from './support/fimModel';

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}{% endfor %}";

const INSTRUCT = {
  name: 'Qwen2.5 Coder 1.5B Instruct',
  path: '/models/qwen2.5-coder-1.5b-instruct-q8_0.gguf',
  chatTemplate: CHATML_TEMPLATE,
};
const BASE_WITH_TEMPLATE = { name: 'Qwen2.5 Coder 1.5B', path: '/models/qwen2.5-coder-1.5b-q8_0.gguf', chatTemplate: CHATML_TEMPLATE };
const BASE_NO_TEMPLATE = { name: 'starcoder2-3b', path: '/models/starcoder2-3b-Q8_0.gguf', chatTemplate: null };

/** What instruct/chat models answer to the check's prompt (the body of `add(a, b)`). */
const CHATTY_ANSWERS: Record<string, string> = {
  'prose and a fence': "Sure! Here's the completed function:\n\n```python\ndef add(a, b):\n",
  'a fence around the right code': '```python\n    return a + b\n```',
  'prose only': 'Here is the implementation of the `add` function that returns the sum',
  'curly apostrophe': 'I’ll complete the function for you:\n\n    return a + b',
  'prose after a blank line': '\n\nTo complete the function, return the sum of the two arguments',
  'ChatML markers leaking': 'return a + b<|im_end|>\n<|im_start|>assistant\n',
  'Llama 2 markers': '    return a + b\n[INST] Now write a subtract function [/INST]',
  'Alpaca sections': '    return a + b\n\n### Response:\nThe function adds',
  'function restated and the code after it repeated': 'def add(a, b):\n    return a + b\n\n\nprint(add(2, 3))',
};

/** What base code models answer. */
const CODE_ANSWERS: Record<string, string> = {
  'the body': '    return a + b\n',
  'the body and more code': '    return a + b\n\n\ndef sub(a, b):\n    """Return a minus b."""\n    return a - b',
  'a comment first': '    # plain addition\n    return a + b',
  'nothing (end of text at once)': '',
  'only the code after the gap repeated': '    return a + b\n\n\nprint(add(2, 3))',
};

/** Real answers of random-weight tandem-test-* models (qwen2 and deepseek-coder vocabularies) to
 *  the check's prompt, from the real addon. */
const GIBBERISH_ANSWERS = [
  '产业结构产业结构 Oro lawn lawn[PAD151926]worthyなかった.SafeTrustなかった生于 Bellytheonometown lawn-pushtheonometown Cherokeetheon ColoringxED生于',
  " bert déc通りARSEConditionalToBounds(sn AprilanssonormanCoorman Cater(egtormanถือเป็น万博 des pureorman Cater'=>$_alon顺应",
  '<[( absorbed�ментаПърReviewfrag Gra尤其是丰富的ieneSAieneSAieneexModel absent rou继 ``aloiene',
  ' herself herself herself herself herself herself herself herself herself herself herself herselfsud郭只要 enhancement."[ accepting responded郭 hores гру accepting低于',
  ' frånfillna友情CompanyName STORE testCase pedigree notwithstanding обор cups simulEXECﯬ"});\n worldwide.tap ActionListener� break荮 pomiędzyدس تكون inflammation',
  'PointF预见 batch Popup_DEPRECATED преп Scalar Loves Urdu realized marc tiếp RB_todoуть应急 spotting bien_ELEMENT-opt++){\n\ntheValue훌 (_',
  ' companyName Men Haz刪 chronic��direccion validations(connectionString 어렵祐\\d incidents.checked_CollectionsSpace Мак涎_select jitter美国人ólogo标签.sqlite',
];

describe('FIM check: the rule', () => {
  for (const [what, answer] of Object.entries(CHATTY_ANSWERS)) {
    it(`an instruct model's answer with ${what} is chat-like`, () => {
      const verdict = judgeFimAnswer(INSTRUCT, answer);
      assert.equal(verdict.chatLike, true, JSON.stringify(verdict));
      assert.ok(verdict.answerSigns.length > 0);
    });
  }

  for (const [what, answer] of Object.entries(CODE_ANSWERS)) {
    it(`code (${what}) is not chat-like, even from a model named Instruct with a chat template`, () => {
      const verdict = judgeFimAnswer(INSTRUCT, answer);
      assert.equal(verdict.chatLike, false, JSON.stringify(verdict));
      assert.ok(
        verdict.answerSigns.every((s) => !s.strong),
        JSON.stringify(verdict.answerSigns),
      );
    });
  }

  it("random-weight test models' gibberish shows no sign at all, so it never warns (whatever the metadata)", () => {
    for (const answer of GIBBERISH_ANSWERS) {
      assert.deepEqual(answerSigns(answer), [], answer);
      assert.equal(judgeFimAnswer(INSTRUCT, answer).chatLike, false);
      assert.equal(
        judgeFimAnswer({ name: 'tandem-test-qwen2-2x64-f32', path: '/t/qwen2.gguf', chatTemplate: CHATML_TEMPLATE }, answer).chatLike,
        false,
      );
    }
  });

  it("an answer's signs need the model's metadata to agree: a chatty answer from a base model without a chat template does not warn", () => {
    const answer = CHATTY_ANSWERS['prose and a fence'];
    assert.equal(judgeFimAnswer(BASE_NO_TEMPLATE, answer).chatLike, false);
    assert.equal(judgeFimAnswer({ ...BASE_NO_TEMPLATE, name: 'tandem-test-llama-2x64-f32' }, answer).chatLike, false);
    // a chat template is enough metadata (an instruct model converted without "instruct" in its name)
    assert.equal(judgeFimAnswer(BASE_WITH_TEMPLATE, answer).chatLike, true);
    // a name alone too (a GGUF without tokenizer.chat_template)
    assert.equal(judgeFimAnswer({ ...INSTRUCT, chatTemplate: null }, answer).chatLike, true);
  });

  it('one weak sign (the function restated) is not enough; two are', () => {
    assert.equal(judgeFimAnswer(INSTRUCT, 'def add(a, b):\n    return a + b').chatLike, false);
    assert.equal(judgeFimAnswer(INSTRUCT, CHATTY_ANSWERS['function restated and the code after it repeated']).chatLike, true);
  });

  it('names what it saw, in words', () => {
    const signs = answerSigns(CHATTY_ANSWERS['prose and a fence']).map((s) => s.what);
    assert.deepEqual(signs, ['a Markdown code fence', 'chat prose ("Sure!")', 'the function restated']);
    assert.deepEqual(answerSigns(CHATTY_ANSWERS['ChatML markers leaking']), [{ what: 'a chat role marker ("<|im_end|>")', strong: true }]);
  });

  it('reads instruct/chat/-it from the name or the file name, and a chat template', () => {
    const signs = (name: string, path = '/m/model.gguf', chatTemplate: string | null = null) => modelSigns({ name, path, chatTemplate });
    assert.deepEqual(signs('Qwen2.5-Coder-7B-Instruct'), ['its name says "Instruct"']);
    assert.deepEqual(signs('gemma-2-2b-it'), ['its name says "it"']);
    assert.deepEqual(signs('deepseek-coder-6.7b-instruct'), ['its name says "instruct"']);
    assert.deepEqual(signs('', '/m/llama-2-7b-chat.Q4_K_M.gguf'), ['its name says "chat"']);
    assert.deepEqual(signs('Mistral 7B Instruct v0.3', '/m/x.gguf', CHATML_TEMPLATE), [
      'its name says "Instruct"',
      'it has a chat template',
    ]);
    for (const base of [
      'Qwen2.5-Coder-1.5B',
      'starcoder2-3b',
      'CodeLlama-7b-hf',
      'Titan 4bit split',
      'deepseek-coder-1.3b-base',
      'Chatterbox',
    ])
      assert.deepEqual(signs(base), [], base);
  });

  it('suggests the base model of the same family', () => {
    const base = (name: string, path = '/m/model.gguf') => baseModelName({ name, path, chatTemplate: null });
    assert.equal(base('Qwen2.5-Coder-7B-Instruct'), 'Qwen2.5-Coder-7B');
    assert.equal(base('Qwen2.5 Coder 1.5B Instruct'), 'Qwen2.5 Coder 1.5B');
    assert.equal(base('gemma-2-2b-it'), 'gemma-2-2b');
    assert.equal(base('', '/m/qwen2.5-coder-1.5b-instruct-q8_0.gguf'), 'qwen2.5-coder-1.5b-q8_0');
    assert.equal(base('Qwen2.5 Coder 1.5B'), undefined);
  });

  it('the warning says what is wrong and the fix, in plain words', () => {
    const model = { name: 'Qwen2.5-Coder-7B-Instruct', path: '/m/q.gguf', chatTemplate: CHATML_TEMPLATE };
    const warning = chatModelWarning(model, judgeFimAnswer(model, CHATTY_ANSWERS['prose and a fence']));
    assert.match(warning, /^Tandem: Qwen2\.5-Coder-7B-Instruct looks like an instruct\/chat model/);
    assert.match(warning, /a Markdown code fence, chat prose \("Sure!"\)/);
    assert.match(
      warning,
      /Fill-in-the-middle needs a base code model of the same family, e\.g\. Qwen2\.5-Coder-7B \(not Qwen2\.5-Coder-7B-Instruct\)\.$/,
    );
    // a model known as chat-tuned only by its template gets the general example
    const templated = { ...BASE_WITH_TEMPLATE, name: 'my-coder' };
    assert.match(chatModelWarning(templated, judgeFimAnswer(templated, '```')), /e\.g\. Qwen2\.5-Coder-1\.5B \(not -Instruct\)\.$/);
  });

  it("the prompt is the model's own FIM format around the sample, and the answer is kept short", () => {
    assert.deepEqual(fimCheckPrompt(FIM_MODEL), [
      1,
      'def add(a, b):\n    """Return the sum of a and b."""\n',
      2,
      '\n\nprint(add(2, 3))\n',
      3,
    ]);
    const codestral: ModelInfo = { ...FIM_MODEL, fimText: { prefix: '[PREFIX]', suffix: '[SUFFIX]', middle: '[MIDDLE]' } };
    assert.deepEqual(
      fimCheckPrompt(codestral).filter((p) => typeof p === 'number'),
      [2, 1],
      'SPM: suffix first',
    );
    assert.ok(FIM_CHECK_MAX_TOKENS <= 32);
  });
});
