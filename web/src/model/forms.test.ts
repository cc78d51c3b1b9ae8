import { describe, expect, it } from 'vitest';
import { chosenParams, formsOfText, noteFormsOf, paragraphBody, parseForms, recordParams, runForms, widgetValue, type Form } from './forms';

// [script, forms, noteForms] as kernel.SubstituteForms finds them: the
// JSON that Go's json.Marshal writes for FormResult.Forms and .NoteForms
// (null for none). The browser must see the same forms the run will.
const fromGo: Array<[string, unknown[] | null, unknown[] | null]> = [
  ["SELECT '$' || x FROM t WHERE j = '$.a'", null, null],
  ["SELECT ${col} FROM t", [{"type":"TextBox","name":"col","displayName":"col","hidden":false}], null],
  ["SELECT * FROM t LIMIT ${n=10}", [{"type":"TextBox","name":"n","displayName":"n","defaultValue":"10","hidden":false}], null],
  ["${age(Your Age)=3}", [{"type":"TextBox","name":"age","displayName":"Your Age","defaultValue":"3","hidden":false}], null],
  ["WHERE c = '${country=US,US(United States)|UK|JP}'", [{"type":"Select","name":"country","displayName":"country","defaultValue":"US","hidden":false,"options":[{"value":"US","displayName":"United States"},{"value":"UK"},{"value":"JP"}]}], null],
  ["${c=,a|b}", [{"type":"Select","name":"c","displayName":"c","defaultValue":"","hidden":false,"options":[{"value":"a"},{"value":"b"}]}], null],
  ["${op=a,a(x|y)|'b|c'|d\\|e| f }", [{"type":"Select","name":"op","displayName":"op","defaultValue":"a","hidden":false,"options":[{"value":"a","displayName":"x|y"},{"value":"'b|c'"},{"value":"d\\|e"},{"value":"f"}]}], null],
  ["${op=a,a\\,b|c}", [{"type":"Select","name":"op","displayName":"op","defaultValue":"a","hidden":false,"options":[{"value":"a,b"},{"value":"c"}]}], null],
  ["IN (${checkbox:fruit=apple|orange,apple|orange|peach})", [{"type":"CheckBox","name":"fruit","displayName":"fruit","defaultValue":["apple","orange"],"hidden":false,"options":[{"value":"apple"},{"value":"orange"},{"value":"peach"}]}], null],
  ["${checkbox( or ):c(Country)=US|JP,US(United States)|UK|JP}", [{"type":"CheckBox","name":"c","displayName":"Country","defaultValue":["US","JP"],"hidden":false,"argument":" or ","options":[{"value":"US","displayName":"United States"},{"value":"UK"},{"value":"JP"}]}], null],
  ["[${checkbox:f=,a|b}]", [{"type":"CheckBox","name":"f","displayName":"f","defaultValue":[],"hidden":false,"options":[{"value":"a"},{"value":"b"}]}], null],
  ["${checkbox:f}", [{"type":"CheckBox","name":"f","displayName":"f","defaultValue":[],"hidden":false}], null],
  ["'${password:pw=x,a|b}'", [{"type":"Password","name":"pw","displayName":"pw","hidden":false}], null],
  ["x _${h=1} y", [{"type":"TextBox","name":"h","displayName":"h","defaultValue":"1","hidden":true}], null],
  ["FROM t_${suffix=a}", [{"type":"TextBox","name":"suffix","displayName":"suffix","defaultValue":"a","hidden":false}], null],
  ["$${a=1} ${a=2}", [{"type":"TextBox","name":"a","displayName":"a","defaultValue":"2","hidden":false}], [{"type":"TextBox","name":"a","displayName":"a","defaultValue":"1","hidden":false}]],
  ["_$${n=1}", null, [{"type":"TextBox","name":"n","displayName":"n","defaultValue":"1","hidden":true}]],
  ["${a=1} ${b} ${a=2}", [{"type":"TextBox","name":"a","displayName":"a","defaultValue":"2","hidden":false},{"type":"TextBox","name":"b","displayName":"b","hidden":false}], null],
  ["SELECT '${a' FROM t", null, null],
  ["x $", null, null],
  ["${a=1,}", [{"type":"TextBox","name":"a","displayName":"a","defaultValue":"1","hidden":false}], null],
  ["${ x = 1 , a | b }", [{"type":"Select","name":"x","displayName":"x","defaultValue":" 1 ","hidden":false,"options":[{"value":"a"},{"value":"b"}]}], null],
];

describe('parseForms', () => {
  it.each(fromGo)('%s finds the forms the kernel finds', (script, forms, noteForms) => {
    const got = parseForms(script);
    expect(got.error).toBeUndefined();
    expect(got.forms).toEqual(forms ?? []);
    expect(got.noteForms).toEqual(noteForms ?? []);
  });

  it('refuses an unknown form type with the kernel’s words', () => {
    expect(parseForms('${slider:n=1}').error).toBe('could not recognize dynamic form with type "slider" in ${slider:n=1}');
  });

  it('reads the body after the interpreter header', () => {
    expect(paragraphBody('%flink.ssql(type=update, template="a)b")\nSELECT ${n=1}')).toBe('\nSELECT ${n=1}');
    expect(paragraphBody('SELECT ${n=1}')).toBe('SELECT ${n=1}');
    expect(formsOfText('%flink.ssql(parallelism=${p=2})\nSELECT ${n=1}').forms.map((f) => f.name)).toEqual(['n']);
  });

  it('keeps the first definition of a note form across paragraphs', () => {
    expect(noteFormsOf(['%md $${g=x} $${h}', '%md $${g=z} ${p}']).map((f) => [f.name, f.defaultValue])).toEqual([
      ['g', 'x'],
      ['h', undefined],
    ]);
  });
});

describe('chosenParams', () => {
  // As kernel.TestChosenParams.
  const recorded = {
    n: { type: 'TextBox', defaultValue: '5' },
    k: { type: 'CheckBox', defaultValue: ['a', 'b'] },
    e: { type: 'TextBox' },
  };
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['a recorded default is no choice', { n: '5' }, {}],
    ['another value is', { n: '6' }, { n: '6' }],
    ['a value without a recorded form is', { z: '5' }, { z: '5' }],
    ['the same checked list is no choice', { k: ['a', 'b'] }, {}],
    ['another order is', { k: ['b', 'a'] }, { k: ['b', 'a'] }],
    ['a list is not a text', { n: ['5'] }, { n: ['5'] }],
    ['"" matches no default', { e: '' }, {}],
  ])('%s', (_name, params, want) => {
    expect(chosenParams(params, recorded)).toEqual(want);
  });
});

describe('widgetValue', () => {
  const form = (script: string): Form => {
    const f = parseForms(script).forms[0];
    if (!f) throw new Error('no form in ' + script);
    return f;
  };

  it('shows the text’s default until a value is chosen', () => {
    expect(widgetValue(form('${n=10}'), {}, {})).toMatchObject({ value: '10', set: false, text: '10' });
    expect(widgetValue(form('${n=10}'), { n: '7' }, {})).toMatchObject({ value: '7', set: true, text: '7' });
  });

  it('shows a new default over a value that was only the old default', () => {
    const recorded = { n: { type: 'TextBox', defaultValue: '5' } };
    expect(widgetValue(form('${n=10}'), { n: '5' }, recorded)).toMatchObject({ value: '10', set: false });
  });

  it('says when a Select’s value is no longer an option, and runs it as shown', () => {
    expect(widgetValue(form('${c=red,red|green}'), { c: 'purple' }, {})).toMatchObject({ value: 'purple', notOptions: ['purple'], text: 'purple' });
    expect(widgetValue(form('${c=red,red|green}'), { c: 'green' }, {})).toMatchObject({ value: 'green', notOptions: [] });
  });

  it('runs the checked values that are still options, or all when none is', () => {
    const f = form('${checkbox( or ):k=a,a|b|c}');
    expect(widgetValue(f, undefined, undefined)).toMatchObject({ value: ['a'], text: 'a' });
    expect(widgetValue(f, { k: ['c', 'gone', 'a'] }, {})).toMatchObject({ value: ['c', 'a'], ignored: ['gone'], notOptions: [], text: 'c or a' });
    expect(widgetValue(f, { k: ['x', 'y'] }, {})).toMatchObject({ value: ['x', 'y'], notOptions: ['x', 'y'], text: 'x or y' });
    expect(widgetValue(f, { k: [] }, {})).toMatchObject({ value: [], text: '' });
  });

  it('reads a missing or null value as empty', () => {
    expect(widgetValue(form('${password:pw}'), {}, {})).toMatchObject({ value: '', text: '' });
    expect(widgetValue(form('${n=10}'), { n: null }, {})).toMatchObject({ value: '', set: true });
  });
});

describe('recordParams', () => {
  it('sets values, removes nulls, and records the forms they were set against, as the server does', () => {
    const stored = { params: { a: '1', b: '2' }, forms: { b: { defaultValue: 'old' }, gone: { defaultValue: 'z' } } };
    const got = recordParams(stored, { a: null, b: '3', gone: 'v' }, ['%md ${a=0} ${b=9}'], false);
    expect(got.params).toEqual({ b: '3', gone: 'v' });
    expect(got.forms).toMatchObject({ b: { name: 'b', defaultValue: '9' } });
    // A value set for no form of the text is a choice: nothing recorded beside it.
    expect(got.forms).not.toHaveProperty('gone');
    expect(stored.params).toEqual({ a: '1', b: '2' });
  });

  it('records a note form as its first paragraph defines it', () => {
    const got = recordParams({}, { g: 'y' }, ['%md $${g=x}', '%md $${g=z}'], true);
    expect(got.forms).toMatchObject({ g: { defaultValue: 'x' } });
  });
});

describe('runForms', () => {
  it('takes the forms a Python run recorded, not those the text defines or what is not a form', () => {
    const stored = {
      who: { type: 'TextBox', name: 'who', displayName: 'who', defaultValue: 'world', hidden: false },
      size: { type: 'Select', name: 'size', defaultValue: 'l', options: [{ value: 's', displayName: 'Small' }, { value: 'l' }] },
      n: { type: 'TextBox', name: 'n', displayName: 'n', hidden: false },
      junk: { type: 'Slider', name: 'junk' },
      nothing: null,
    };
    const got = runForms(stored, formsOfText('%flink.pyflink\nprint(${n=1})').forms);
    expect(got.map((f) => f.name)).toEqual(['who', 'size']);
    expect(got[1]).toMatchObject({ type: 'Select', displayName: 'size', hidden: false, defaultValue: 'l' });
    expect(runForms(undefined, [])).toEqual([]);
  });
});
